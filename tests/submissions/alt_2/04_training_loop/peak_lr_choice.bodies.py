CHOSEN_PEAK_LR = 3e-3  # a factor 3 below the best, 1e-2, for a margin from the divergence at 0.1
