print("support-backend: not built yet")
