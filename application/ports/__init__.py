"""Ports: the typing.Protocols that adapters implement."""
