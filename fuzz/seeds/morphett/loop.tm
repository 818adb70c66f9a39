; loop: never halts: bounces between the ends of a growing block of 1s
; Morphett format, written by arsim; start state 0.
; arsim-blank: 0
; arsim-symbols: _1
; states renamed: 0 = right
0 _ 1 l left
0 1 1 r 0

left _ 1 r 0
left 1 1 l left
