"""aiida-symclf: threshold-free crystal-structure classification from diffraction fingerprints.

Implements Ziletti et al., "Insightful classification of crystal structures using deep
learning", Nat. Commun. 9, 2775 (2018), as an AiiDA plugin.
"""

__version__ = '0.6.0'
