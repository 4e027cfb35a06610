// The host's JSON (JSONValue, JSONWriter, JSONString) is AgentHostJSON, the module the SDK's
// JSONValue lives in too: every host module that imports HostNet sees the one type.
@_exported import AgentHostJSON
