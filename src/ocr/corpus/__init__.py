"""The ground-truth corpus: C.Hasil pages filled with real handwriting and photographed in simulation."""
