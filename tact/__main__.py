"""`python -m tact`: the same entry point as the `tact` console script."""

from tact.server.cli.main import main

raise SystemExit(main())
