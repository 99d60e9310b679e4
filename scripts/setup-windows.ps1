# Installs what cordon needs to build and test on Windows, like
# scripts/setup-debian.sh does on Debian, and skips whatever is already
# there (run it as often as you like):
#
#   git, CMake, Python 3 (the Windows smoke suite)  winget (else Chocolatey)
#   MSYS2, and from it the UCRT64 gcc, ninja and cmocka (the unit tests)
#
# Why MSYS2's mingw-w64 gcc and not Visual Studio: cordon is GNU C11 built
# with gcc/clang flags, and the Debian cross-build that CI checks with
# -Werror uses the same mingw-w64 headers, so the Windows build here is the
# one CI already compiles. UCRT64 is the MSYS2 environment its developers
# recommend by default (the Universal C Runtime that ships with Windows).
#
# The toolchain folder (C:\msys64\ucrt64\bin) is put on PATH for this
# session, for your future sessions (user PATH), and for later steps of a
# GitHub Actions job. Run it in the session you build in:
#
#   Set-ExecutionPolicy -Scope Process Bypass; .\scripts\setup-windows.ps1
#
# -Msys2Root names an MSYS2 installed elsewhere (default C:\msys64, where
# winget's MSYS2 and GitHub's Windows runners have it).
param([string]$Msys2Root = "C:\msys64")

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

function Say([string]$text) { Write-Host "setup-windows.ps1: $text" }

function Update-SessionPath {
	# winget and Chocolatey change the machine and user PATH, not this
	# session's: read them back, keeping what this session added.
	$machine = [Environment]::GetEnvironmentVariable("Path", "Machine")
	$user = [Environment]::GetEnvironmentVariable("Path", "User")
	$entries = @($env:Path -split ";") + @("$machine;$user" -split ";")
	$env:Path = ($entries | Where-Object { $_ } | Select-Object -Unique) -join ";"
}

# A command that really runs: Windows answers "python" with a Microsoft
# Store alias (WindowsApps\python.exe) until Python is installed.
function Test-Command([string]$name) {
	$found = Get-Command $name -All -CommandType Application -ErrorAction SilentlyContinue |
		Where-Object { $_.Source -notlike "*\WindowsApps\*" }
	return [bool]$found
}

# Installs one package unless $command already answers.
function Install-Tool([string]$command, [string]$wingetId, [string]$chocoName) {
	if (Test-Command $command) {
		Say "$command is already installed"
		return
	}
	if (Test-Command "winget") {
		Say "installing $wingetId with winget"
		winget install --id $wingetId --exact --silent --accept-package-agreements --accept-source-agreements --source winget
	} elseif (Test-Command "choco") {
		Say "installing $chocoName with Chocolatey"
		choco install $chocoName --yes --no-progress
	} else {
		throw "cannot install $command`: neither winget nor Chocolatey is available; install $wingetId by hand and run this again"
	}
	if ($LASTEXITCODE -ne 0) { throw "installing $wingetId failed (exit $LASTEXITCODE)" }
	Update-SessionPath
	if (-not (Test-Command $command)) {
		throw "$command is still not on PATH after installing $wingetId; open a new terminal and run this again"
	}
}

Install-Tool "git" "Git.Git" "git"
Install-Tool "cmake" "Kitware.CMake" "cmake"
Install-Tool "python" "Python.Python.3.12" "python"

$msysBash = Join-Path $Msys2Root "usr\bin\bash.exe"
if (Test-Path $msysBash) {
	Say "MSYS2 is already installed in $Msys2Root"
} elseif (Test-Command "winget") {
	Say "installing MSYS2.MSYS2 with winget"
	winget install --id MSYS2.MSYS2 --exact --silent --accept-package-agreements --accept-source-agreements --source winget
	if ($LASTEXITCODE -ne 0) { throw "installing MSYS2.MSYS2 failed (exit $LASTEXITCODE)" }
} elseif (Test-Command "choco") {
	Say "installing msys2 with Chocolatey"
	choco install msys2 --yes --no-progress --params "/InstallDir:$Msys2Root"
	if ($LASTEXITCODE -ne 0) { throw "installing msys2 failed (exit $LASTEXITCODE)" }
} else {
	throw "cannot install MSYS2: neither winget nor Chocolatey is available; install it from https://www.msys2.org into $Msys2Root and run this again"
}
if (-not (Test-Path $msysBash)) { throw "MSYS2's bash is not at $msysBash after installing it" }

# Asking pacman first keeps a set-up machine off the network; -Sy brings a
# fresh MSYS2's package lists up to date so the downloads exist.
$packages = @("mingw-w64-ucrt-x86_64-gcc", "mingw-w64-ucrt-x86_64-ninja", "mingw-w64-ucrt-x86_64-cmocka")
& $msysBash -lc "pacman -Q $($packages -join ' ') >/dev/null 2>&1"
if ($LASTEXITCODE -eq 0) {
	Say "the UCRT64 gcc, ninja and cmocka are already installed"
} else {
	Say "installing $($packages -join ', ') with pacman"
	& $msysBash -lc "pacman -Sy --needed --noconfirm $($packages -join ' ')"
	if ($LASTEXITCODE -ne 0) { throw "pacman could not install $($packages -join ' ') (exit $LASTEXITCODE)" }
}

$toolchain = Join-Path $Msys2Root "ucrt64\bin"
if (-not (($env:Path -split ";") -contains $toolchain)) { $env:Path = "$toolchain;$env:Path" }
$userPath = [Environment]::GetEnvironmentVariable("Path", "User")
if (-not ((@($userPath -split ";")) -contains $toolchain)) {
	[Environment]::SetEnvironmentVariable("Path", (@($userPath, $toolchain) | Where-Object { $_ }) -join ";", "User")
	Say "added $toolchain to your user PATH"
}
if ($env:GITHUB_PATH) { Add-Content -Path $env:GITHUB_PATH -Value $toolchain }

foreach ($tool in "git", "cmake", "python", "gcc", "ninja") {
	if (-not (Test-Command $tool)) { throw "$tool is not on PATH after set-up" }
}
Say "all build and test dependencies are installed (gcc: $((Get-Command gcc -CommandType Application | Select-Object -First 1).Source))"
