from darklint.cli import main

raise SystemExit(main())
