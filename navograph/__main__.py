from navograph.cli import main

main()
