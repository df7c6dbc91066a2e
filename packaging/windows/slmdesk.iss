; Inno Setup script: a per-user installer for the Windows build of slmdesk (no administrator
; rights: everything goes under %LOCALAPPDATA%\Programs\slmdesk and HKCU).
;
; Build (on Windows, after `pyinstaller packaging\slmdesk.spec` made dist\slmdesk\):
;   iscc /DAppVersion=0.1.0 packaging\windows\slmdesk.iss
; The CI workflow (.github/workflows/package.yml) passes the version from pyproject.toml.
; Code signing: add SignTool=... with your certificate (see the README, "Installers").
; Status: a recipe. It has not been built or run by the project yet (README says so).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6B4A2B6E-5D7C-4C1E-9B0C-3F1D2E7A9C41}
AppName=slmdesk
AppVersion={#AppVersion}
AppPublisher=slmdesk developers
AppPublisherURL=https://github.com/slmdesk/slmdesk
DefaultDirName={localappdata}\Programs\slmdesk
DefaultGroupName=slmdesk
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=slmdesk-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\slmdesk.ico
UninstallDisplayIcon={app}\slmdesk.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Files]
Source: "..\..\dist\slmdesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\slmdesk"; Filename: "{app}\slmdesk.exe"
Name: "{autodesktop}\slmdesk"; Filename: "{app}\slmdesk.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\slmdesk.exe"; Description: "{cm:LaunchProgram,slmdesk}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; The app's own data (models, inventory) lives in the user's profile and is kept on uninstall.
Type: filesandordirs; Name: "{app}\_internal"
