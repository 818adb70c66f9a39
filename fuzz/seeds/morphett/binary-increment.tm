; binary-increment: binary successor, MSB first: 1011 -> 1100
; Morphett format, written by arsim; start state 0.
; arsim-symbols: _01
; states renamed: 0 = right, halt = done
0 _ _ l carry
0 0 0 r 0
0 1 1 r 0

carry _ 1 * halt
carry 0 1 * halt
carry 1 0 l carry
