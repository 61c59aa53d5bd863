"""`python -m soak` (`make soak`): several app and worker processes on one database, under
load and SIGKILLs, then every invariant checked from the database (see __main__)."""
