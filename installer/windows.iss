; Inno Setup script: build dist\ConnectDesktop with PyInstaller first, then `iscc installer\windows.iss`.
; Per-user install (no administrator rights needed in a school office).
[Setup]
AppName=Connect Desktop
AppVersion=0.1.0
AppPublisher=Connect
DefaultDirName={localappdata}\Programs\Connect Desktop
DefaultGroupName=Connect Desktop
PrivilegesRequired=lowest
OutputBaseFilename=ConnectDesktopSetup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Files]
Source: "..\dist\ConnectDesktop\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Connect Desktop"; Filename: "{app}\ConnectDesktop.exe"
Name: "{group}\Connect Desktop (demo district)"; Filename: "{app}\ConnectDesktop.exe"; Parameters: "--demo"

[Run]
Filename: "{app}\ConnectDesktop.exe"; Parameters: "--version"; Flags: runhidden; StatusMsg: "Checking the installation..."
