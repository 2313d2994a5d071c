"""Subcommands of the `modeljob` CLI; each module has `register(subparsers)`."""
