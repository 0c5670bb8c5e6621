; COMGOV Messenger: additions to electron-builder's NSIS installer.
; %ProgramData%\COMGOV holds policy.json, the machine policy. By default every user
; may create files under %ProgramData%: lock the folder to administrators and
; SYSTEM (read for users) so that a user cannot write a policy of their own.
!macro customInstall
  CreateDirectory "$COMMONPROGRAMDATA\COMGOV"
  nsExec::ExecToLog '"$SYSDIR\icacls.exe" "$COMMONPROGRAMDATA\COMGOV" /inheritance:r /grant:r "*S-1-5-32-544:(OI)(CI)F" "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-545:(OI)(CI)RX"'
!macroend

; policy.json stays on uninstall: it belongs to the ICT cell, not to the app.
!macro customUnInstall
!macroend
