from legalret.cli import main

main()
