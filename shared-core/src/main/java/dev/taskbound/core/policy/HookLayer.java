package dev.taskbound.core.policy;

import java.util.List;

/**
 * One layer's {@code gate.hooks}, {@code gate.prompts}, {@code gate.tools} and {@code spec.regulated}
 * ({@link Regulated}), each null when the layer does not set it.
 */
record HookLayer(Located<List<Located<String>>> agents, Located<PromptRecording> prompts,
    Located<List<Located<ToolRule>>> tools, Located<Boolean> regulated) {
  static final HookLayer EMPTY = new HookLayer(null, null, null, null);

  HookLayer(Located<List<Located<String>>> agents, Located<PromptRecording> prompts, Located<List<Located<ToolRule>>> tools) {
    this(agents, prompts, tools, null);
  }

  HookLayer withRegulated(Located<Boolean> regulated) {
    return new HookLayer(agents, prompts, tools, regulated);
  }
}
