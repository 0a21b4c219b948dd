"""Reading C.Hasil photos: quality, locate, identify, cells, digits, decode. Never imports `tally`."""
