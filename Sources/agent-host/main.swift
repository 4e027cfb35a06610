print("agent-host")
