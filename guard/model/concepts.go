package model

import (
	"strings"
	"unicode/utf8"
)

// Concept features let the models generalise past the wording they were
// trained on. An attack says the same few things in endless words: the
// rules are gone ("without restrictions", "drop every guideline", "tu n'as
// plus aucune règle"), show the hidden setup ("paste the text you were
// configured with", "print your full context"), pretend a check passed.
// Word and character n-grams learn each wording separately; a word that
// belongs to a concept also emits the concept, and two concepts within a
// few words emit their pair, so "drop every restriction" shares features
// with "ignore all rules" even if training never saw it.

// Concepts, as small integers (0: none).
const (
	conceptNone      = iota
	conceptRules     // rules, restrictions, guidelines, filters, ethics, ...
	conceptRemove    // without, drop, disable, ignore, unrestricted, ...
	conceptReveal    // show, print, paste, repeat, reveal, ...
	conceptHidden    // hidden, secret, initial, setup, configuration, system, ...
	conceptPretend   // pretend, act as, role-play, imagine, hypothetically, ...
	conceptAuthority // admin, developer, operator, maintenance, debug, ...
	conceptVerdict   // approved, granted, succeeded, verified, ...
	conceptComply    // comply, obey, refuse, always, whatever, ...
	conceptOthers    // someone else's: victim, target, coworker's, ex, neighbour's, ...
	conceptStealth   // unnoticed: undetectable, secretly, quietly, evade, hide, ...
	conceptTakeover  // steal, hack, hijack, crack, break into, flood, wipe, ...
	conceptAccess    // what is taken: credentials, passwords, cookies, accounts, ...
	numConcepts
)

// conceptSpan is how many words apart two concepts may be to pair.
const conceptSpan = 6

const (
	seedConcept     uint64 = 0x3c6ef372fe94f82b
	seedConceptPair uint64 = 0xa54ff53a5f1d36f1
)

// conceptWords lists each concept's words in the languages the guard sees
// most; Normalize has already folded look-alike letters.
var conceptWords = [numConcepts][]string{
	conceptRules: {
		"rule", "rules", "restriction", "restrictions", "guideline", "guidelines", "filter", "filters", "filtering",
		"policy", "policies", "limit", "limits", "limitation", "limitations", "constraint", "constraints", "guardrail",
		"guardrails", "safeguard", "safeguards", "ethics", "ethical", "moral", "morals", "morality", "censorship",
		"boundaries", "principles", "programming", "safety", "content",
		"reglas", "regla", "restricciones", "límites", "limites", "normas", "políticas", "filtros", "ética",
		"règles", "règle", "regles", "contraintes", "filtres", "éthique",
		"regeln", "regel", "einschränkungen", "beschränkungen", "richtlinien", "grenzen", "ethik",
		"regole", "restrizioni", "limiti", "etica", "regras", "restrições", "restricoes",
		"правила", "правил", "ограничения", "ограничений", "фильтры", "фильтров", "этики",
		"regels", "beperkingen", "richtlijnen", "zasady", "zasad", "ograniczenia", "ograniczeń", "wytyczne", "regler",
		"begränsningar", "riktlinjer", "kurallar", "kuralları", "kısıtlama", "kısıtlamalar", "sınırlama", "yönergeler",
		"обмеження", "обмежень", "фільтрів", "قواعد", "القواعد", "قيود", "القيود", "ضوابط", "إرشادات", "नियम", "नियमों",
		"प्रतिबंध", "पाबंदी", "दिशानिर्देश", "aturan", "batasan", "pembatasan", "pedoman",
		"নিয়ম", "নিয়মগুলো", "সীমাবদ্ধতা", "বিধিনিষেধ", "নির্দেশিকা", "ফিল্টার", "patakaran", "limitasyon", "alituntunin", "paghihigpit",
	},
	conceptRemove: {
		"without", "drop", "remove", "removed", "disable", "disabled", "bypass", "ignore", "ignoring", "disregard", "forget",
		"override", "lift", "lifted", "unrestricted", "unfiltered", "uncensored", "unlimited", "limitless", "unbound",
		"outdated", "suspended", "abandon", "defy", "escape", "escaped", "jailbroken", "jailbreak", "free", "freed",
		"sin", "ignora", "olvida", "sans", "aucune", "aucun", "ohne", "keine", "kein", "senza", "sem", "без", "нет",
		"zonder", "negeer", "negeren", "vergeet", "bez", "zignoruj", "ignoruj", "zapomnij", "utan", "ignorera", "glöm",
		"unut", "yok", "ігноруй", "забудь", "بلا", "بدون", "تجاهل", "बिना", "अनदेखा", "नज़रअंदाज़", "tanpa", "abaikan", "lupakan",
		"উপেক্ষা", "অগ্রাহ্য", "ভুলে", "ছাড়া", "ছাড়াই", "balewalain", "kalimutan", "walang",
	},
	conceptReveal: {
		"reveal", "show", "print", "display", "paste", "quote", "recite", "output", "repeat", "tell", "share", "leak",
		"dump", "disclose", "expose", "echo", "spell", "copy", "summarize", "summarise", "encode",
		"muestra", "muéstrame", "repite", "dime", "revela", "imprime", "affiche", "répète", "repete", "montre", "révèle",
		"zeig", "zeige", "wiederhole", "verrate", "nenne", "mostra", "ripeti", "rivela", "mostre", "repita", "revele",
		"покажи", "повтори", "выведи", "расскажи", "раскрой",
		"herhaal", "onthul", "pokaż", "wypisz", "powtórz", "ujawnij", "upprepa", "avslöja", "göster",
		"tekrarla", "söyle", "виведи", "розкажи", "اعرض", "أظهر", "اكشف", "كرر", "दिखाओ", "बताओ", "दोहराओ",
		"tampilkan", "tunjukkan", "ulangi", "sebutkan",
		"দেখাও", "বলো", "জানাও", "ipakita", "sabihin", "ibunyag", "ulitin",
	},
	conceptHidden: {
		"hidden", "secret", "secrets", "confidential", "initial", "original", "setup", "configuration", "configured",
		"config", "system", "developer", "developers", "operator", "instructions", "prompt", "preprompt", "context",
		"directives", "briefing", "settings", "internal", "private", "password", "passcode", "passphrase", "key",
		"instrucciones", "configuración", "oculto", "ocultas", "secreto", "consignes", "configuration", "cachées",
		"secrètes", "anweisungen", "einstellungen", "konfiguration", "versteckten", "geheimen", "istruzioni",
		"instruções", "instrucoes", "инструкции", "настройке", "настройки", "скрытые", "секретные", "пароль",
		"verborgen", "geheime", "instructies", "wachtwoord", "ukryte", "tajne", "instrukcje", "hasło", "konfigurację",
		"dolda", "hemliga", "instruktioner", "lösenord", "gizli", "talimatları", "talimatlar", "şifre",
		"приховані", "секретний", "інструкції", "налаштування", "المخفية", "السرية", "التعليمات", "تعليمات", "छिपा",
		"गुप्त", "निर्देश", "निर्देशों", "पासवर्ड", "tersembunyi", "rahasia", "instruksi", "sandi",
		"গোপন", "নির্দেশ", "নির্দেশনা", "পাসওয়ার্ড", "সিস্টেম", "প্রম্পট", "lihim", "nakatago", "tagubilin", "instruksiyon",
	},
	conceptPretend: {
		"pretend", "act", "acting", "roleplay", "role", "persona", "character", "imagine", "hypothetically",
		"hypothetical", "simulate", "become", "play", "game", "mode", "version", "opposite",
		"finge", "actúa", "imagina", "joue", "imagine", "spiele", "stell", "представь", "притворись",
		"alsof", "rollenspel", "udawaj", "wyobraź", "låtsas", "föreställ", "rollspel", "davran", "уяви", "вдавай",
		"تظاهر", "تخيل", "कल्पना", "berpura", "bayangkan", "berperan",
		"কল্পনা", "ধরো", "kunwari", "isipin", "magpanggap",
	},
	conceptAuthority: {
		"admin", "administrator", "developer", "operator", "maintenance", "debug", "authorized", "authorised",
		"elevated", "privileges", "root", "sudo", "god", "creator", "owner", "supervisor", "audit",
		"administrador", "administrateur", "entwickler", "администратор", "разработчик",
		"beheerder", "ontwikkelaar", "twórca", "utvecklare", "yönetici", "geliştirici", "адміністратор", "розробник",
		"المطور", "المسؤول", "डेवलपर", "pengembang",
		"ডেভেলপার", "অ্যাডমিন", "নির্মাতা", "tagapangasiwa",
	},
	conceptVerdict: {
		"approved", "granted", "succeeded", "success", "successful", "verified", "accepted", "passed", "unlocked",
		"valid", "correct", "confirmed", "aprobado", "approuvé", "genehmigt", "одобрено",
	},
	conceptComply: {
		"comply", "obey", "refuse", "refusal", "refusals", "refusing", "always", "whatever", "anything", "everything",
		"never", "must", "warnings", "disclaimers", "cumple", "obedece", "obéis", "gehorche", "подчиняйся",
		"weiger", "nooit", "altijd", "nigdy", "zawsze", "odmawiaj", "aldrig", "alltid", "vägra", "asla", "reddetme",
		"ніколи", "завжди", "відмовляй", "ترفض", "أبداً", "हमेशा", "menolak", "selalu",
		"কখনো", "সবসময়", "প্রত্যাখ্যান", "tumanggi", "tumatanggi", "palagi", "kailanman",
	},
	conceptOthers: {
		"victim", "victims", "target", "targets", "someone", "somebody", "someone's", "others", "other", "coworker",
		"coworker's", "colleague's", "ex", "ex's", "girlfriend", "boyfriend", "girlfriend's", "boyfriend's", "neighbour",
		"neighbor", "neighbour's", "neighbor's", "roommate", "roommate's", "competitor", "competitor's", "their", "them",
		"people", "strangers", "stranger's", "employees", "users", "school", "teacher's", "boss", "boss's",
		"víctima", "alguien", "victime", "quelqu'un", "opfer", "jemand", "jemandes", "vittima", "alguém", "жертвы", "чужой", "чужую", "чужие",
	},
	conceptStealth: {
		"undetectable", "undetected", "secretly", "quietly", "silently", "unnoticed", "covertly", "stealth", "stealthy",
		"evade", "evading", "evasion", "hide", "hiding", "hidden", "obfuscate", "obfuscated", "without", "knowing",
		"traces", "tracks", "anonymously", "indétectable", "discrètement", "unbemerkt", "heimlich", "незаметно", "скрытно",
	},
	conceptTakeover: {
		"steal", "steals", "stealing", "hack", "hacking", "hijack", "hijacking", "crack", "cracking", "breach",
		"exfiltrate", "exfiltration", "flood", "flooding", "ddos", "jam", "wipe", "wiping", "encrypt", "ransom",
		"ransomware", "keylogger", "spy", "spyware", "intercept", "sniff", "harvest", "harvesting", "phish", "phishing",
		"grabber", "stuffing", "takeover", "compromise", "infect", "infected", "exploit", "backdoor", "rootkit",
		"robar", "hackear", "pirater", "voler", "hacken", "stehlen", "rubare", "взломать", "украсть",
	},
	conceptAccess: {
		"credentials", "credential", "passwords", "cookies", "tokens", "token", "login", "logins", "account", "accounts",
		"session", "sessions", "inbox", "email", "emails", "messages", "whatsapp", "instagram", "snapchat", "gmail",
		"contraseña", "contraseñas", "cuenta", "mot", "identifiants", "compte", "passwort", "konto", "zugangsdaten",
		"пароли", "аккаунт", "почту",
	},
}

// wideConcepts are concept words of scripts written without spaces, where
// a "word" (see featurize) is a run of up to forty characters: they are
// found inside it.
var wideConcepts = []struct {
	word    string
	concept uint8
}{
	{"限制", conceptRules}, {"规则", conceptRules}, {"規則", conceptRules}, {"制限", conceptRules}, {"ルール", conceptRules}, {"제한", conceptRules}, {"규칙", conceptRules},
	{"没有", conceptRemove}, {"无视", conceptRemove}, {"忽略", conceptRemove}, {"忘记", conceptRemove}, {"無視", conceptRemove}, {"なし", conceptRemove}, {"없", conceptRemove}, {"무시", conceptRemove},
	{"显示", conceptReveal}, {"输出", conceptReveal}, {"告诉我", conceptReveal}, {"表示", conceptReveal}, {"教えて", conceptReveal}, {"출력", conceptReveal}, {"알려", conceptReveal},
	{"系统提示", conceptHidden}, {"设定", conceptHidden}, {"设置", conceptHidden}, {"隐藏", conceptHidden}, {"秘密", conceptHidden}, {"密码", conceptHidden},
	{"設定", conceptHidden}, {"隠し", conceptHidden}, {"パスワード", conceptHidden}, {"설정", conceptHidden}, {"비밀", conceptHidden}, {"비밀번호", conceptHidden},
	{"假装", conceptPretend}, {"扮演", conceptPretend}, {"ふり", conceptPretend}, {"演じ", conceptPretend}, {"척", conceptPretend},
	{"管理员", conceptAuthority}, {"开发者", conceptAuthority}, {"管理者", conceptAuthority}, {"開発者", conceptAuthority}, {"관리자", conceptAuthority},
	{"指令", conceptHidden}, {"指示", conceptHidden}, {"提示词", conceptHidden}, {"プロンプト", conceptHidden}, {"지시", conceptHidden}, {"프롬프트", conceptHidden},
	{"过滤", conceptRules}, {"フィルター", conceptRules}, {"필터", conceptRules}, {"忘掉", conceptRemove}, {"忘れ", conceptRemove}, {"잊", conceptRemove},
	{"拒绝", conceptComply}, {"断ら", conceptComply}, {"거절", conceptComply},
	{"คำสั่ง", conceptHidden}, {"รหัสผ่าน", conceptHidden}, {"กฎ", conceptRules}, {"เพิกเฉย", conceptRemove}, {"ละเว้น", conceptRemove}, {"ไม่มี", conceptRemove},
	{"ข้อจำกัด", conceptRules}, {"ตัวกรอง", conceptRules}, {"ไม่ต้องสนใจ", conceptRemove}, {"ลืม", conceptRemove}, {"แสดง", conceptReveal}, {"บอก", conceptReveal},
	{"พรอมต์", conceptHidden}, {"ความลับ", conceptHidden}, {"สมมติ", conceptPretend}, {"แกล้ง", conceptPretend}, {"นักพัฒนา", conceptAuthority},
	{"ผู้ดูแลระบบ", conceptAuthority}, {"ปฏิเสธ", conceptComply},
	{"窃取", conceptTakeover}, {"入侵", conceptTakeover}, {"盗", conceptTakeover}, {"ハッキング", conceptTakeover}, {"해킹", conceptTakeover},
}

// concepts maps a word's hash (wordHash) to its concept. A word in two
// lists keeps the first.
var concepts = func() map[uint64]uint8 {
	m := map[uint64]uint8{}
	for c := numConcepts - 1; c > conceptNone; c-- {
		for _, w := range conceptWords[c] {
			m[wordHash(w)] = uint8(c)
		}
	}
	return m
}()

// wideByFirst indexes wideConcepts by their first rune, so addWide tries
// at each rune of a word only the concept words that start with it,
// instead of searching the word for each of them.
var wideByFirst = func() map[rune][]uint8 {
	if len(wideConcepts) > 128 {
		panic("model: more wide concept words than addWide's bit set holds")
	}
	m := map[rune][]uint8{}
	for k, wc := range wideConcepts {
		r, _ := utf8.DecodeRuneInString(wc.word)
		m[r] = append(m[r], uint8(k))
	}
	return m
}()

// addWide adds the concepts found inside a word of a space-less script,
// each concept word once, in the order of wideConcepts.
func (cw *conceptWindow) addWide(dst []feature, word string, w int, pos int32, mask uint64) []feature {
	var found [2]uint64 // bit k: wideConcepts[k] occurs in word
	for i, r := range word {
		for _, k := range wideByFirst[r] {
			if strings.HasPrefix(word[i:], wideConcepts[k].word) {
				found[k>>6] |= 1 << (k & 63)
			}
		}
	}
	for k, wc := range wideConcepts {
		if found[k>>6]&(1<<(k&63)) != 0 {
			dst = cw.add(dst, wc.concept, w, pos, mask)
		}
	}
	return dst
}

// conceptWindow remembers the last few concepts seen and at which word.
type conceptWindow struct {
	concept [4]uint8
	word    [4]int
	at      [4]int32 // byte offset of the word
	n       int
}

// add appends the features of a word's concept c (at word index w, byte
// position pos): the concept, and its pair with each concept seen within
// conceptSpan words before it.
func (cw *conceptWindow) add(dst []feature, c uint8, w int, pos int32, mask uint64) []feature {
	dst = append(dst, feature{uint32(mix(seedConcept^uint64(c)) & mask), pos, pos})
	for k := range min(cw.n, len(cw.concept)) {
		if w-cw.word[k] > conceptSpan {
			continue
		}
		a, b := min(c, cw.concept[k]), max(c, cw.concept[k])
		dst = append(dst, feature{uint32(mix(seedConceptPair^uint64(a)<<8^uint64(b)) & mask), pos, cw.at[k]})
	}
	i := cw.n % len(cw.concept)
	cw.concept[i], cw.word[i], cw.at[i] = c, w, pos
	cw.n++
	return dst
}
