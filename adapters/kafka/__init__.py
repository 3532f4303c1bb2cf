"""Kafka adapters on aiokafka."""
