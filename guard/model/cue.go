package model

// The misuse class learns the forms of offensive requests ("write … for
// me", "code … in C", "how do I get into …") because that is how
// attackers ask; ordinary coding and how-to requests take the same forms
// ("write a web server in Rust", "how do I open a bank account?"), and
// were the misuse class's most common false positives. A linear model
// cannot learn "this form and something harmful" by itself, so a model
// trained with the cue feature (TrainConfig.Cue) sees one more feature on
// every text that names no offensive cue at all (no malware or attack
// word, nobody else's target, nothing to keep unnoticed), by length. Its
// weight is learned for the misuse class only; the other classes never
// see it. Hand-set damping of such texts was tried first: it halved the
// false positives and the recall on CyberSecEval's MITRE prompts, which
// describe techniques in plain words.

// cueWords are the hashes of the words that are offensive cues: the words
// whose concept is taking over, staying unnoticed or someone else's, and
// words that name offensive tools and acts. One map, so a word costs one
// lookup.
var cueWords = func() map[uint64]bool {
	m := map[uint64]bool{}
	for _, c := range []uint8{conceptTakeover, conceptStealth, conceptOthers} {
		for _, w := range conceptWords[c] {
			if h := wordHash(w); concepts[h] == c { // a word in two lists has the first
				m[h] = true
			}
		}
	}
	for _, w := range []string{ // beyond the concept words above
		"malware", "trojan", "virus", "viruses", "worm", "botnet", "bootkit", "exploits", "payload", "payloads",
		"shellcode", "stalkerware", "infostealer", "stealer", "cryptominer", "miner", "dos", "c2", "rat", "implant",
		"dropper", "crypter", "webshell", "shell", "injection", "xss", "sqli", "brute", "bruteforce", "spoof", "spoofing",
		"mimikatz", "lsass", "kerberoasting", "kerberoast", "bypass", "fud", "antivirus", "av", "edr", "defender",
		"hacked", "attack", "attacks", "weapon", "weaponize", "weaponise", "persistence", "privilege", "escalation",
		"lateral", "exfil", "beacon", "cobalt", "extort", "doxx", "dox", "swat", "skimmer", "carding", "scam", "fraud",
	} {
		m[wordHash(w)] = true
	}
	return m
}()

// hasCue reports whether any of the words (hashes from featurize) is an
// offensive cue.
func hasCue(words []uint64) bool {
	for _, w := range words {
		if cueWords[w] {
			return true
		}
	}
	return false
}

const seedNoCue uint64 = 0x510e527fade682d1

// noCueLengths are the word counts that start each length bucket of the
// no-cue feature: a short request is all form, a long one has room for
// harm in words no list names.
var noCueLengths = [...]int{0, 9, 21, 61}

// noCueIndex is the bucket of the no-cue feature of a text of n words.
func noCueIndex(n int, buckets uint32) uint32 {
	b := len(noCueLengths) - 1
	for b > 0 && n < noCueLengths[b] {
		b--
	}
	return uint32(mix(seedNoCue^uint64(b)) & uint64(buckets-1))
}

// noCueIndices are the buckets of the no-cue feature, one per length.
func noCueIndices(buckets uint32) [len(noCueLengths)]uint32 {
	var ix [len(noCueLengths)]uint32
	for i, n := range noCueLengths {
		ix[i] = noCueIndex(n, buckets)
	}
	return ix
}
