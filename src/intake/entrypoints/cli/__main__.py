"""`python -m intake.entrypoints.cli`: the same as the `intake` command."""

from intake.entrypoints.cli import main

if __name__ == "__main__":
    main()
