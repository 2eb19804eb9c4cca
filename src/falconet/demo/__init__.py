"""`falconet demo`: the engine paper-trading an embedded simulated market."""
