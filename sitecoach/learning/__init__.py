"""The learning core: plain Python (no Flask, no ORM), every function takes `now` and refuses naive times."""
