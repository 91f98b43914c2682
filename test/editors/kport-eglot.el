;;; kport-eglot.el --- drive Emacs + eglot (batch) as an LSP client of `kport lsp --stdio'.
;; Environment: KPORT_FILE (a copy of a C file inside a git work tree), KPORT_NODE, KPORT_BIN.
;; Prints "DIAG LINE RULE" per Flymake diagnostic, then applies the malloc-h quick fix and prints "LINE7 <text>".
(package-initialize)
(require 'eglot)
(add-to-list 'eglot-server-programs
             `((c-mode c-ts-mode) . (,(getenv "KPORT_NODE") ,(getenv "KPORT_BIN") "lsp" "--stdio")))
(find-file (getenv "KPORT_FILE"))
(c-mode)
(apply #'eglot (eglot--guess-contact))
(with-timeout (30 (princ "TIMEOUT\n") (kill-emacs 1))
  (while (null (flymake-diagnostics)) (accept-process-output nil 0.2)))
(dolist (d (flymake-diagnostics))
  (let ((text (flymake-diagnostic-text d)))
    (princ (format "DIAG %d %s\n" (line-number-at-pos (flymake-diagnostic-beg d))
                   (if (string-match "\\[\\([a-z-]+\\)\\]" text) (match-string 1 text) "?")))))
;; The malloc-h quick fix, as `M-x eglot-code-actions' on line 7 would apply it.
(goto-char (point-min))
(forward-line 6)
(let* ((beg (line-beginning-position)) (end (line-end-position))
       (actions (jsonrpc-request (eglot--current-server-or-lose) :textDocument/codeAction
                                (list :textDocument (eglot--TextDocumentIdentifier)
                                      :range (list :start (eglot--pos-to-lsp-position beg) :end (eglot--pos-to-lsp-position end))
                                      :context (list :diagnostics [] :only ["quickfix"]))))
       (fix (seq-find (lambda (a) (string-match-p "slab\\.h" (plist-get a :title))) actions)))
  (unless fix (princ "NOFIX\n") (kill-emacs 1))
  (eglot--apply-workspace-edit (plist-get fix :edit)))
(save-buffer)
(goto-char (point-min))
(forward-line 6)
(princ (format "LINE7 %s\n" (buffer-substring-no-properties (line-beginning-position) (line-end-position))))
(kill-emacs 0)
