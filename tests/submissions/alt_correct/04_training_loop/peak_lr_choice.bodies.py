CHOSEN_PEAK_LR = 1e-2  # lowest mean loss over the three seeds
