"""Conformance suite for Livepeer AI gateways, and the reference gateway it embeds."""
