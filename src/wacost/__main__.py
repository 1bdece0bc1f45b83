from wacost.cli import main

main()
