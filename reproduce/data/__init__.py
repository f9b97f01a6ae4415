"""Stage 1, the data: verified MNIST (mnist.py) and which training images are trained on or held out (split.py).
Imports nothing of the suite above it.
"""
