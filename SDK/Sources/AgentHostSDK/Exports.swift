// JSONValue is AgentHostJSON's, shared with the host (one value type, parser and writer);
// plugin code keeps writing `import AgentHostSDK` only.
@_exported import AgentHostJSON
