"""Durable, authenticated webhook receiver that archives ShippyPro deliveries for the tap."""
