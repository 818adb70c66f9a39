; no-rule-demo: a to b up to the first b (two stay moves there); otherwise stops on a missing rule
; Morphett format, written by arsim; start state 0.
; arsim-symbols: _ab
; states renamed: 0 = scan, halt = stop
0 a b r 0
0 b a * flip

flip a b * halt
