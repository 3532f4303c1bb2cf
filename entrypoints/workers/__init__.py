"""Background workers: projection and relay loops that follow the notification log."""
