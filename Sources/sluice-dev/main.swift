print("sluice-dev")
