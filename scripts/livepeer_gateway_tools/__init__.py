"""Maintainers' tools: regeneration, drift check, spec lint, compatibility, benchmarks."""
