"""Stage 1, the data: verified MNIST (mnist.py) and which training images are trained on or held out (split.py).
Imports nothing of the suite above it.
"""

# MNIST's training-set pixel mean and std, the usual normalisation (here, where reading them loads no torch).
MEAN, STD = 0.1307, 0.3081
