package dev.taskbound.core.gate;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads a shell command line well enough for the gate: splits it into simple commands (at
 * {@code ;}, {@code &&}, {@code ||}, {@code |}, {@code &} and newlines, outside quotes) and each
 * into words (quotes removed), and finds the refs each {@code git push} in it would update. It is
 * no shell: what it cannot read (a push through a variable, an alias, a script) the gateway still
 * decides on the wire, where every push on an inspected host is read from its pkt-lines.
 */
final class ShellCommands {
  /** git's global options that take a value as the next word (git.c accepts both forms). */
  private static final Set<String> GIT_GLOBAL_WITH_VALUE = Set.of("-C", "-c", "--git-dir", "--work-tree", "--namespace",
      "--config-env", "--attr-source", "--super-prefix");
  /** git push's options that take a value as the next word; all others take one only as {@code --opt=value}. */
  private static final Set<String> PUSH_WITH_VALUE = Set.of("-o", "--push-option", "--repo", "--receive-pack", "--exec");
  /** git push's options without a value that change nothing about which refs it updates. */
  private static final Set<String> PUSH_FLAGS = Set.of("-v", "--verbose", "-q", "--quiet", "-u", "--set-upstream", "-f",
      "--force", "-n", "--dry-run", "--porcelain", "--progress", "--no-progress", "--verify", "--no-verify", "--thin",
      "--no-thin", "--atomic", "--no-atomic", "--force-with-lease", "--no-force-with-lease", "--force-if-includes",
      "--no-force-if-includes", "--signed", "--no-signed", "--follow-tags", "--no-follow-tags", "--prune", "--no-prune",
      "-4", "--ipv4", "-6", "--ipv6", "--no-recurse-submodules", "--no-push-option");
  /** Options that take their value only after {@code =}. */
  private static final Set<String> PUSH_WITH_ATTACHED_VALUE = Set.of("--force-with-lease", "--signed",
      "--recurse-submodules", "--push-option", "--repo", "--receive-pack", "--exec");
  /** git's global options after which HEAD, or what a push without refspecs pushes, may be another's. */
  private static final List<String> RESETS_HEAD = List.of("-C", "-c", "--git-dir", "--work-tree", "--config-env",
      "--namespace");
  /** Commands after which the directory or the environment of what follows may be another. */
  private static final Set<String> MOVES_THE_SHELL = Set.of("cd", "pushd", "popd", "source", ".", "eval", "exec", "env",
      "export", "declare", "typeset", "set", "unset", "alias", "local", "readonly");
  /** git subcommands after which HEAD may name another branch, or a push go elsewhere. */
  private static final Set<String> MOVES_HEAD = Set.of("checkout", "switch", "worktree", "branch", "symbolic-ref",
      "update-ref", "rebase", "bisect", "stash", "reset", "pull", "am", "config", "remote", "init", "clone");
  private static final java.util.regex.Pattern ASSIGNMENT = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*=.*");
  /** A redirection word ({@code 2>/dev/null}, {@code >log}, {@code 2>&1}), and one whose target is the next word. */
  private static final java.util.regex.Pattern REDIRECTION = java.util.regex.Pattern.compile("[0-9]*(>>?|<|>&|<&).*");
  private static final java.util.regex.Pattern BARE_REDIRECTION = java.util.regex.Pattern.compile("[0-9]*(>>?|<|>&|<&)");
  /** Words the shell reads before a command without being it. */
  private static final Set<String> SHELL_PREFIXES = Set.of("then", "do", "else", "elif", "if", "while", "until", "!", "{",
      "time");

  /** One {@code git push}: the refs it updates and the refs it deletes. */
  record Push(List<String> updates, List<String> deletes) {}

  private ShellCommands() {}

  /** A line split into simple commands, and whether its quotes closed (otherwise this reader and the shell part ways). */
  record Split(List<String> commands, boolean quotesClose) {}

  /** The simple commands of {@code line}, as {@link #split} finds them. */
  static List<String> simpleCommands(String line) {
    return split(line).commands();
  }

  /**
   * The simple commands of {@code line}, each trimmed, empty ones dropped, comments left out. Quotes
   * are followed as bash follows them: none inside {@code '...'}, a backslash escapes in {@code
   * "..."} and {@code $'...'}.
   */
  static Split split(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    char quote = 0;
    boolean escapes = false; // inside "..." or $'...'
    boolean wordStart = true; // a '#' here begins a comment: only after a blank or an operator, as in bash
    boolean inBackquotes = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quote != 0 && inBackquotes && c == '`') {
        // bash ends `...` at the first unescaped backquote, inside quotes too (final review)
        quote = 0;
        add(out, cur);
        wordStart = true;
        inBackquotes = false;
      } else if (quote != 0) {
        cur.append(c);
        if (c == '\\' && escapes && i + 1 < line.length()) {
          cur.append(line.charAt(++i));
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\\' && i + 1 < line.length() && line.charAt(i + 1) == '\n') {
        i++; // a line continuation: bash removes both, the word goes on (or a blank before it still counts)
      } else if (c == '$' && i + 1 < line.length() && line.charAt(i + 1) == '\'') {
        quote = '\'';
        escapes = true;
        wordStart = false;
        cur.append(c).append(line.charAt(++i));
      } else if (c == '\'' || c == '"') {
        quote = c;
        escapes = c == '"';
        wordStart = false;
        cur.append(c);
      } else if (c == '\\' && i + 1 < line.length()) {
        wordStart = false; // an escaped blank is part of the word
        cur.append(c).append(line.charAt(++i));
      } else if (c == '#' && wordStart) {
        // a comment, to the end of the line; inside `...` bash finds the closing backquote first
        while (i + 1 < line.length() && line.charAt(i + 1) != '\n' && !(inBackquotes && line.charAt(i + 1) == '`')) {
          i++;
        }
      } else if (c == ';' || c == '&' || c == '|' || c == '\n' || c == '(' || c == ')' || c == '`') {
        add(out, cur);
        wordStart = true;
        inBackquotes ^= c == '`';
      } else {
        cur.append(c);
        wordStart = isBlank(c) || c == '<' || c == '>';
      }
    }
    add(out, cur);
    return new Split(out, quote == 0);
  }

  /** What bash splits words at: space and tab (newlines end commands); not \v, \f or other Unicode spaces. */
  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }

  private static void add(List<String> out, StringBuilder cur) {
    String s = cur.toString().strip();
    if (!s.isEmpty()) {
      out.add(s);
    }
    cur.setLength(0);
  }

  /** The words of one simple command, quotes removed. */
  static List<String> words(String command) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    boolean escapes = false;
    boolean ansiC = false; // inside $'...': escapes are decoded as bash decodes them
    boolean nulCut = false; // inside $'...' after a NUL, which ends the string for bash
    for (int i = 0; i < command.length(); i++) {
      char c = command.charAt(i);
      if (quote != 0) {
        if (c == '\\' && quote == '"' && i + 1 < command.length() && command.charAt(i + 1) == '\n') {
          i++; // inside "...", as outside, bash removes a backslash-newline ($'...' keeps it)
        } else if (c == quote) {
          quote = 0;
          nulCut = false;
        } else if (nulCut) {
          i += c == '\\' && i + 1 < command.length() ? 1 : 0; // bash drops the rest of $'...' after a NUL
        } else if (c == '\\' && ansiC && i + 1 < command.length()) {
          i = AnsiCEscapes.decode(command, i, cur); // $'\x70ush' is push to bash
          if (cur.length() > 0 && cur.charAt(cur.length() - 1) == 0) {
            cur.setLength(cur.length() - 1); // $'ma\0in' is "ma" to bash
            nulCut = true;
          }
        } else if (c == '\\' && escapes && i + 1 < command.length()) {
          cur.append(command.charAt(++i));
        } else {
          cur.append(c);
        }
      } else if (c == '$' && i + 1 < command.length() && (command.charAt(i + 1) == '\'' || command.charAt(i + 1) == '"')) {
        quote = command.charAt(++i); // $'...' (ANSI-C: backslash escapes) and $"..." quote as their quotes do
        escapes = true;
        ansiC = quote == '\'';
        inWord = true;
      } else if (c == '\'' || c == '"') {
        quote = c;
        escapes = c == '"';
        ansiC = false;
        inWord = true;
      } else if (c == '\\' && i + 1 < command.length() && command.charAt(i + 1) == '\n') {
        i++; // a line continuation: the word goes on
      } else if (c == '\\' && i + 1 < command.length()) {
        cur.append(command.charAt(++i));
        inWord = true;
      } else if (isBlank(c) || c == '\n') {
        if (inWord) {
          out.add(cur.toString());
          cur.setLength(0);
          inWord = false;
        }
      } else {
        cur.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      out.add(cur.toString());
    }
    return out;
  }

  /**
   * The {@code git push} of one simple command, if it is one. What it cannot read with certainty it
   * reads as a push of refs it does not know ({@link ToolCall#UNKNOWN_REF}), which no rule that
   * names refs allows: an option it does not know, or a {@code push} word in a git command it did
   * not read as one ({@code env -i git push}, {@code git --unknown push}).
   *
   * @param currentBranch the ref HEAD names in the working directory ({@code refs/heads/x}), or
   *     {@code ""} when unknown: a push without refspecs pushes it
   */
  static java.util.Optional<Push> gitPush(String command, String currentBranch) {
    List<String> w = words(command);
    int i = 0;
    while (i < w.size() && (SHELL_PREFIXES.contains(w.get(i)) || ASSIGNMENT.matcher(w.get(i)).matches())) {
      i++; // if/then/do..., VAR=value before the command
    }
    if (i < w.size() && (w.get(i).equals("env") || w.get(i).equals("command") || w.get(i).equals("exec"))) {
      i++;
    }
    // A setting on the line (git -c, -C, --git-dir, a GIT_* variable) may change which branch HEAD
    // is or what a push without refspecs pushes: those then name refs this reader does not know.
    boolean elsewhere = w.subList(0, i).stream().anyMatch(a -> a.startsWith("GIT_"));
    boolean read = false;
    if (i < w.size() && isGit(w.get(i), "git")) {
      i++;
      while (i < w.size() && w.get(i).startsWith("-")) {
        String option = w.get(i);
        elsewhere |= RESETS_HEAD.stream().anyMatch(o -> option.equals(o) || option.startsWith(o + "="));
        i += GIT_GLOBAL_WITH_VALUE.contains(option) ? 2 : 1;
      }
      read = i < w.size() && w.get(i).equals("push");
      if (i < w.size() && !plainWord(w.get(i))) {
        // an expansion the shell makes (git $CMD, git pus?): it may be push, with refs unknown here
        return java.util.Optional.of(new Push(List.of(ToolCall.UNKNOWN_REF), List.of()));
      }
    } else if (i < w.size() && isGit(w.get(i), "git-push")) {
      read = true; // git's own program for the subcommand
    }
    if (!read) {
      return mentionsAPush(w) ? java.util.Optional.of(new Push(List.of(ToolCall.UNKNOWN_REF), List.of()))
          : java.util.Optional.empty();
    }
    String branch = elsewhere ? "" : currentBranch;
    i++;
    boolean delete = false;
    boolean all = false;
    boolean unread = false;
    List<String> positional = new ArrayList<>();
    for (; i < w.size(); i++) {
      String a = w.get(i);
      if (a.equals("--")) {
        positional.addAll(w.subList(i + 1, w.size()));
        break;
      }
      if (REDIRECTION.matcher(a).matches()) {
        // not an argument; "> log" takes the next word too
        if (BARE_REDIRECTION.matcher(a).matches()) {
          i++;
        }
      } else if (!a.startsWith("-") || a.equals("-")) {
        positional.add(a);
      } else if (a.equals("-d") || a.equals("--delete")) {
        delete = true;
      } else if (a.equals("--all") || a.equals("--mirror") || a.equals("--tags") || a.equals("--branches")) {
        all = true;
      } else if (PUSH_WITH_VALUE.contains(a)) {
        i++;
      } else if (a.startsWith("--") && a.contains("=")
          && PUSH_WITH_ATTACHED_VALUE.contains(a.substring(0, a.indexOf('=')))) {
        continue;
      } else if (a.matches("-[vqufnd46]{2,}")) {
        delete |= a.indexOf('d') > 0; // bundled short flags: -fu
      } else if (!PUSH_FLAGS.contains(a)) {
        unread = true; // an option this reader does not know may take the next word, or change the refs
      }
    }
    List<String> updates = new ArrayList<>();
    List<String> deletes = new ArrayList<>();
    List<String> specs = positional.size() > 1 ? positional.subList(1, positional.size()) : List.of();
    if (all || unread || specs.isEmpty() && branch.isEmpty()) {
      updates.add(ToolCall.UNKNOWN_REF);
    } else if (specs.isEmpty()) {
      updates.add(branch);
    }
    for (String spec : specs) {
      String s = spec.startsWith("+") ? spec.substring(1) : spec;
      int colon = s.indexOf(':');
      if (colon != s.lastIndexOf(':') || !plainWord(s)) {
        updates.add(ToolCall.UNKNOWN_REF); // git splits at the last colon; an expansion is the shell's to make
        continue;
      }
      String dst = colon >= 0 ? s.substring(colon + 1) : s;
      boolean deletion = delete || colon == 0;
      String ref = dst.isEmpty() || dst.equals("HEAD") || dst.equals("@") ? (branch.isEmpty() ? ToolCall.UNKNOWN_REF : branch)
          : dst.startsWith("refs/") ? dst : "refs/heads/" + dst;
      (deletion ? deletes : updates).add(ref);
    }
    return java.util.Optional.of(new Push(updates, deletes));
  }

  /**
   * A simple command as the shell runs it: its words with quotes removed, one space apart, without
   * the keywords and assignments before the command ({@code then "rm"  -rf /} is {@code rm -rf /}).
   */
  static String asRun(String command) {
    return String.join(" ", commandWords(command));
  }

  /** The words of a simple command from the command itself on: no keywords or assignments before it. */
  private static List<String> commandWords(String command) {
    List<String> w = words(command);
    int i = 0;
    while (i < w.size() && (SHELL_PREFIXES.contains(w.get(i)) || ASSIGNMENT.matcher(w.get(i)).matches())) {
      i++;
    }
    return w.subList(i, w.size());
  }

  /** {@code git}, {@code /usr/bin/git}: the program {@code name} by itself or by a path. */
  private static boolean isGit(String word, String name) {
    return word.equals(name) || word.endsWith("/" + name);
  }

  /**
   * A word naming git and a {@code push} in it or after it, however spelt ({@code git-push}, {@code
   * {git,push,origin,main}}, {@code -c alias.p=push}): a push, or maybe one.
   */
  private static boolean mentionsAPush(List<String> w) {
    for (int g = 0; g < w.size(); g++) {
      int at = w.get(g).indexOf("git");
      // a later word with spaces is quoted text (a commit message), not what git runs
      if (at >= 0 && (w.get(g).indexOf("push", at) >= 0 || w.subList(g + 1, w.size()).stream()
          .anyMatch(x -> x.contains("push") && x.chars().noneMatch(Character::isWhitespace)))) {
        return true;
      }
    }
    return false;
  }

  /** A word the shell leaves as it is: no expansion ($, `, {...}, globs) that could make it another. */
  private static boolean plainWord(String word) {
    return word.chars().noneMatch(c -> "$`{}*?[]~".indexOf(c) >= 0);
  }

  /**
   * Whether running {@code command} may change which branch HEAD is, or the directory, for the
   * simple commands after it on the line ({@code cd}, {@code git checkout}, {@code git switch}...).
   */
  static boolean mayMoveHead(String command) {
    List<String> w = commandWords(command);
    if (w.isEmpty()) {
      return false;
    }
    String first = w.get(0);
    if (MOVES_THE_SHELL.contains(first) || !plainWord(first)) {
      return true;
    }
    if (w.stream().anyMatch(a -> a.equals(".git") || a.contains(".git/") || a.endsWith("/.git") || a.contains("GIT_"))) {
      return true; // writes or points into a repository's own files (> .git/HEAD, GIT_DIR=...)
    }
    if (!isGit(first, "git")) {
      return false;
    }
    for (String a : w.subList(1, w.size())) {
      if (!a.startsWith("-")) {
        return MOVES_HEAD.contains(a);
      }
      if (RESETS_HEAD.stream().anyMatch(o -> a.equals(o) || a.startsWith(o + "="))) {
        return true;
      }
    }
    return true; // git alone, or only options: not read
  }
}
