"""One module per `breachwatch` subcommand; each defines `register(subparsers)`."""
