; divisible-by-3: accepts binary numbers divisible by 3
; Morphett format, written by arsim; start state 0.
; arsim-symbols: _01
; states renamed: 0 = r0, halt-accept = accept, halt-reject = reject
0 _ _ * halt-accept
0 0 0 r 0
0 1 1 r r1

r1 _ _ * halt-reject
r1 0 0 r r2
r1 1 1 r 0

r2 _ _ * halt-reject
r2 0 0 r r1
r2 1 1 r r2
