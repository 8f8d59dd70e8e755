import LocateCore

extension Transformer {
    /// Runs one prompt (batch of one row).
    public func run(_ prompt: String, _ options: RunOptions = RunOptions()) throws(ModelError) -> RunResult {
        try run(tokens: [encode(prompt)], options)
    }

    /// Runs a batch of token rows of equal length.
    ///
    /// Only layers ≥ `options.resume.layer` and positions ≥ `options.resume.position` are
    /// computed; an intervention at position t changes nothing before t (causal attention) and
    /// one at layer l nothing below l, so a method sweeping (layer, position) cells resumes from
    /// a cached run instead of rerunning everything.
    public func run(tokens: [[Int]], _ options: RunOptions = RunOptions()) throws(ModelError) -> RunResult {
        let plan = try ForwardPlan(model: self, tokens: tokens, options: options)
        var pass = ForwardPass(model: self, plan: plan, options: options)
        return try pass.execute()
    }
}

/// The validated shape of a run: batch, positions, where it starts.
struct ForwardPlan {
    let tokens: [[Int]]
    let batch: Int            // B
    let length: Int           // T
    let startLayer: Int       // l0
    let startPosition: Int    // p0
    let state: RunState?
    var queries: Int { length - startPosition }   // Tq
    var positions: [Int] { Array(startPosition..<length) }

    init(model: Transformer, tokens: [[Int]], options: RunOptions) throws(ModelError) {
        guard let first = tokens.first, !first.isEmpty else { throw .emptyPrompt }
        guard tokens.allSatisfy({ $0.count == first.count }) else { throw .raggedBatch(lengths: tokens.map(\.count)) }
        guard first.count <= model.config.contextLength else {
            throw .promptTooLong(tokens: first.count, context: model.config.contextLength)
        }
        for row in tokens { for id in row where id < 0 || id >= model.config.vocabSize {
            throw .tokenOutOfRange(id: id, vocabulary: model.config.vocabSize)
        } }
        self.tokens = tokens
        batch = tokens.count
        length = first.count
        let layers = model.layerCount
        var l0 = 0, p0 = 0
        if let resume = options.resume {
            let s = resume.state
            guard resume.layer >= 0, resume.layer <= layers else { throw .invalidResume("layer \(resume.layer) is outside 0…\(layers)") }
            guard resume.position >= 0, resume.position < first.count else {
                throw .invalidResume("position \(resume.position) is outside the prompt's \(first.count) positions")
            }
            guard batch % s.batch == 0 else {
                throw .invalidResume("the cached run has \(s.batch) rows, which do not tile this run's \(batch) rows (row b reads cached row b mod \(s.batch))")
            }
            let shared = resume.layer > 0 ? first.count : resume.position
            guard s.positions >= shared, (resume.layer == 0 || s.positions == first.count) else {
                throw .invalidResume("the cached run has \(s.positions) positions; resuming at layer \(resume.layer), position \(resume.position) needs \(resume.layer > 0 ? first.count : resume.position)")
            }
            for b in 0..<batch where Array(tokens[b][0..<shared]) != Array(s.tokens[b % s.batch][0..<shared]) {
                throw .invalidResume("row \(b)'s tokens differ from the cached run's in the positions it reuses (0..<\(shared))")
            }
            l0 = resume.layer; p0 = resume.position
            state = s
        } else {
            state = nil
        }
        startLayer = l0
        startPosition = p0
        for i in options.interventions {
            try Self.check(i.hook, model: model, l0: l0)
        }
        if let stop = options.stopAfter { try Self.check(stop, model: model, l0: l0) }
    }

    private static func check(_ hook: HookPoint, model: Transformer, l0: Int) throws(ModelError) {
        if let l = hook.layer {
            guard l < model.layerCount else { throw .layerOutOfRange(hook: hook.description, layer: l, layers: model.layerCount) }
            // blocks.{l0-1}.hook_resid_post is the resumed run's input, visited first.
            let isInput = hook.site == .residPost && l == l0 - 1
            guard l >= l0 || isInput else { throw .invalidResume("\(hook) lies below the resume layer \(l0), so it would not run") }
        } else if hook == .embed && l0 > 0 {
            throw .invalidResume("hook_embed does not run when resuming at layer \(l0)")
        }
    }
}
