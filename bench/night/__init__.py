"""Election night, replayed (issue #18): the pieces of `bench/election_night.py`.

- `election`: a real region's TPS, their true results, and every photo the phones will send (cached);
- `cluster`: `tally serve` (several API processes) and `tally worker` processes, killed and restarted;
- `phones`: the KPPS phones (uploads over failing links, retakes, blind answers, "Periksa & kirim");
- `officers`: the PPS of each kelurahan and the PPK keying the D.Hasil;
- `report`: the result checks, the table, the national extrapolation and the chart.
"""
