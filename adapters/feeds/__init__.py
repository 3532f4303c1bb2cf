"""What every exchange feed shares: reconnect backoff, feed metrics."""
