; Inno Setup 6 script for Connect Desktop: a per-user installer (no administrator rights).
;   python dev.py package --self-test --installer       (builds dist\ConnectDesktop, then runs:)
;   iscc /DAppVersion=X.Y.Z installer\windows.iss
; Output: dist\ConnectDesktop-X.Y.Z-windows-setup.exe. Signing: installer\README.md.
; Silent install for IT: ConnectDesktop-X.Y.Z-windows-setup.exe /VERYSILENT /SUPPRESSMSGBOXES /CURRENTUSER
; (docs\installing.md lists every switch).

#ifndef AppVersion
  #error Pass the version from pyproject.toml: iscc /DAppVersion=X.Y.Z installer\windows.iss
#endif
#define AppName "Connect Desktop"
#define AppExe "ConnectDesktop.exe"
#define ConsoleExe "connect-desktop.exe"
#define BundleDir "..\dist\ConnectDesktop"
; The app's data lives outside {app} (platformdirs and QSettings), so upgrades keep it:
#define DataDir "{localappdata}\ConnectDesktop"
#define SettingsKey "Software\Connect\ConnectDesktop"

[Setup]
; Never change AppId: upgrades find the installed copy (folder, uninstaller) through it.
AppId={{28608871-8079-456A-A020-0395E9E17ADB}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Connect
AppCopyright=Connect
; Per user: {autopf} is %LOCALAPPDATA%\Programs; IT may override with /ALLUSERS (needs admin).
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=commandline
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\dist
OutputBaseFilename=ConnectDesktop-{#AppVersion}-windows-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; A running Connect Desktop is closed (and not restarted) before its files are replaced.
CloseApplications=yes
RestartApplications=no
UninstallDisplayName={#AppName}
UninstallDisplayIcon={app}\{#AppExe}
SetupLogging=yes
#ifdef Sign
; iscc /DSign "/Ssigntool=signtool.exe sign /fd sha256 /td sha256 /tr <timestamp URL> /f <pfx> /p <password> $f" ...
SignTool=signtool
SignedUninstaller=yes
#endif

[InstallDelete]
; An upgrade replaces the whole program folder: no module of the old version stays behind.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Tasks]
Name: "desktopicon"; Description: "Create a &desktop shortcut"; Flags: unchecked

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "The Connect year-end assistant"
Name: "{autoprograms}\{#AppName} (demo district)"; Filename: "{app}\{#AppExe}"; Parameters: "--demo"; Comment: "Try Connect Desktop on a made-up district"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start {#AppName} now"; Flags: nowait postinstall skipifsilent

[Code]
var
  DeleteData: Boolean;

function HasSwitch(const Name: String): Boolean;
var
  I: Integer;
begin
  Result := False;
  for I := 1 to ParamCount do
    if CompareText(ParamStr(I), Name) = 0 then
      Result := True;
end;

{ After copying the files: the installed program checks itself offscreen (a few seconds). }
procedure CurStepChanged(CurStep: TSetupStep);
var
  ResultCode: Integer;
begin
  if CurStep = ssPostInstall then
  begin
    if not WizardSilent() then
      WizardForm.StatusLabel.Caption := 'Checking the installation...';
    if not Exec(ExpandConstant('{app}\{#ConsoleExe}'), '--self-test', '', SW_HIDE,
                ewWaitUntilTerminated, ResultCode) or (ResultCode <> 0) then
      SuppressibleMsgBox('Connect Desktop was installed, but its self-check did not pass (code ' +
        IntToStr(ResultCode) + '). Please tell your IT department; the log is in ' +
        ExpandConstant('{#DataDir}\Logs') + '.', mbError, MB_OK, IDOK);
  end;
end;

{ Uninstall keeps the user's data unless they say otherwise (or IT passes /DELETEDATA). }
function InitializeUninstall(): Boolean;
begin
  DeleteData := HasSwitch('/DELETEDATA');
  if not DeleteData and not UninstallSilent() then
    DeleteData := MsgBox('Also delete Connect Desktop''s data on this computer?' + #13#10 + #13#10 +
      'That is the downloaded copy of your account, changes you staged but did not send, ' +
      'your sign-in, settings and logs. Choose No to keep them (for example before ' +
      'installing a newer version).', mbConfirmation, MB_YESNO or MB_DEFBUTTON2) = IDYES;
  Result := True;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  ResultCode: Integer;
begin
  if DeleteData and (CurUninstallStep = usUninstall) then
    { forget the stored sign-in (Windows Credential Manager) while the program is still there }
    Exec(ExpandConstant('{app}\{#ConsoleExe}'), 'logout', '', SW_HIDE, ewWaitUntilTerminated, ResultCode);
  if DeleteData and (CurUninstallStep = usPostUninstall) then
  begin
    DelTree(ExpandConstant('{#DataDir}'), True, True, True);
    RegDeleteKeyIncludingSubkeys(HKCU, '{#SettingsKey}');
  end;
end;
