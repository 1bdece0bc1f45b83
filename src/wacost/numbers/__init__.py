"""Phone numbers: regions and their aliases, the numbering plan, the digit automaton, the resolver."""
