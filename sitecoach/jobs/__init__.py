"""Background work: RQ jobs (`jobs`), the schedule table (`schedule`) and the clock process (`clock`)."""
