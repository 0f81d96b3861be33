"""`python -m assistant` runs the command line."""

from assistant.cli.main import main

if __name__ == "__main__":
    main()
