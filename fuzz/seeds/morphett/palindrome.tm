; palindrome: accepts palindromes over {a,b}, rejects other words
; Morphett format, written by arsim; start state 0.
; arsim-symbols: _ab
; states renamed: 0 = start, halt-accept = accept, halt-reject = reject
0 _ _ * halt-accept
0 a _ r have_a
0 b _ r have_b

have_a _ _ l check_a
have_a a a r have_a
have_a b b r have_a

have_b _ _ l check_b
have_b a a r have_b
have_b b b r have_b

check_a _ _ * halt-accept
check_a a _ l back
check_a b b * halt-reject

check_b _ _ * halt-accept
check_b a a * halt-reject
check_b b _ l back

back _ _ r 0
back a a l back
back b b l back
