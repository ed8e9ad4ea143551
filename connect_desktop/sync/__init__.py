"""Pull (changes feed → cache), outbox, push and conflicts."""
