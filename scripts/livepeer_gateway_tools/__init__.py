"""Maintainers' spec tools: regeneration, drift check, spec lint, release notes.

Every failure is an `errors.ToolError`; `cli.EXIT_STATUS` is the one place it becomes an exit.
"""
