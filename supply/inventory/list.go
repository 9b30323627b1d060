package inventory

import "strings"

// Extractors returns every extractor, in the order files are tried. This
// is the one list of formats: a test checks that each format has fixtures.
func Extractors() []Extractor {
	return []Extractor{
		// npm and friends
		byName{"package-lock.json", []string{"package-lock.json", "npm-shrinkwrap.json"}, extractPackageLock},
		byName{"pnpm-lock.yaml", []string{"pnpm-lock.yaml"}, extractPnpmLock},
		byName{"yarn.lock", []string{"yarn.lock"}, extractYarnLock},
		byName{"bun.lock", []string{"bun.lock"}, extractBunLock},
		byName{"package.json", []string{"package.json"}, extractPackageJSON},
		// PyPI
		byFunc{"requirements.txt", isRequirementsName, extractRequirements},
		byName{"Pipfile.lock", []string{"Pipfile.lock"}, extractPipfileLock},
		byName{"poetry.lock", []string{"poetry.lock"}, extractPoetryLock},
		byName{"uv.lock", []string{"uv.lock"}, extractUvLock},
		byName{"pdm.lock", []string{"pdm.lock"}, extractPdmLock},
		// Go, Rust
		byName{"go.mod", []string{"go.mod"}, extractGoMod},
		byName{"Cargo.lock", []string{"Cargo.lock"}, extractCargoLock},
		// Maven
		byFunc{"pom.xml", isPomName, extractPom},
		byName{"gradle.lockfile", []string{"gradle.lockfile", "buildscript-gradle.lockfile"}, extractGradleLockfile},
		// Others
		byName{"packages.lock.json", []string{"packages.lock.json"}, extractNuGetLock},
		byName{"composer.lock", []string{"composer.lock"}, extractComposerLock},
		byName{"Gemfile.lock", []string{"Gemfile.lock", "gems.locked"}, extractGemfileLock},
		byName{"pubspec.lock", []string{"pubspec.lock"}, extractPubspecLock},
		byName{"mix.lock", []string{"mix.lock"}, extractMixLock},
		byName{"Podfile.lock", []string{"Podfile.lock"}, extractPodfileLock},
		byName{"Package.resolved", []string{"Package.resolved"}, extractPackageResolved},
		// SBOMs
		byFunc{"CycloneDX JSON", isCycloneDXJSONName, extractCycloneDXJSON},
		byFunc{"CycloneDX XML", isCycloneDXXMLName, extractCycloneDXXML},
		byFunc{"SPDX JSON", isSPDXJSONName, extractSPDXJSON},
		byFunc{"SPDX tag-value", isSPDXTagValueName, extractSPDXTagValue},
	}
}

// isRequirementsName matches requirements.txt, requirements-dev.txt and
// dev-requirements.txt; files in a requirements/ folder with other names
// are read only through -r includes (any *.txt would be too broad).
func isRequirementsName(base string) bool {
	return strings.HasSuffix(base, ".txt") && strings.Contains(base, "requirements")
}

// isPomName matches pom.xml and Maven's *.pom files.
func isPomName(base string) bool {
	return base == "pom.xml" || strings.HasSuffix(base, ".pom")
}

func isCycloneDXJSONName(base string) bool {
	return base == "bom.json" || strings.HasSuffix(base, ".cdx.json") || strings.HasSuffix(base, ".cyclonedx.json")
}

func isCycloneDXXMLName(base string) bool {
	return base == "bom.xml" || strings.HasSuffix(base, ".cdx.xml") || strings.HasSuffix(base, ".cyclonedx.xml")
}

func isSPDXJSONName(base string) bool { return strings.HasSuffix(base, ".spdx.json") }

func isSPDXTagValueName(base string) bool { return strings.HasSuffix(base, ".spdx") }
