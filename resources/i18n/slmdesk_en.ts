<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>ApiServerBox</name>
    <message numerus="yes">
        <source>Running on {address}: %n request(s) served, {waiting} waiting.</source>
        <translation>
            <numerusform>Running on {address}: %n request served, {waiting} waiting.</numerusform>
            <numerusform>Running on {address}: %n requests served, {waiting} waiting.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Running on {address}: %n request(s) served.</source>
        <translation>
            <numerusform>Running on {address}: %n request served.</numerusform>
            <numerusform>Running on {address}: %n requests served.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ArtifactDetails</name>
    <message numerus="yes">
        <source>{format}, split in %n part(s)</source>
        <translation>
            <numerusform>{format}, split in %n part</numerusform>
            <numerusform>{format}, split in %n parts</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln token(s)</source>
        <translation>
            <numerusform>%Ln token</numerusform>
            <numerusform>%Ln tokens</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>BenchmarkPane</name>
    <message numerus="yes">
        <source>%n benchmark(s) queued.</source>
        <translation>
            <numerusform>%n benchmark queued.</numerusform>
            <numerusform>%n benchmarks queued.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n thread(s)</source>
        <translation>
            <numerusform>%n thread</numerusform>
            <numerusform>%n threads</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Exported %n run(s) to {path}.</source>
        <translation>
            <numerusform>Exported %n run to {path}.</numerusform>
            <numerusform>Exported %n runs to {path}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %n run(s) from the history?</source>
        <translation>
            <numerusform>Delete %n run from the history?</numerusform>
            <numerusform>Delete %n runs from the history?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CatalogPane</name>
    <message numerus="yes">
        <source>Catalog of {date}: %n model(s); fit for {target}.</source>
        <translation>
            <numerusform>Catalog of {date}: %n model; fit for {target}.</numerusform>
            <numerusform>Catalog of {date}: %n models; fit for {target}.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ChatTexts</name>
    <message numerus="yes">
        <source>prompt %Ln token(s)</source>
        <comment>tokens of the prompt</comment>
        <translation>
            <numerusform>prompt %Ln token</numerusform>
            <numerusform>prompt %Ln tokens</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln token(s)</source>
        <comment>tokens of a reply</comment>
        <translation>
            <numerusform>%Ln token</numerusform>
            <numerusform>%Ln tokens</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message numerus="yes">
        <source>Conversation: {used} / %Ln token(s)</source>
        <comment>of the context window</comment>
        <translation>
            <numerusform>Conversation: {used} / %Ln token</numerusform>
            <numerusform>Conversation: {used} / %Ln tokens</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Conversation: %Ln token(s)</source>
        <comment>context window size unknown</comment>
        <translation>
            <numerusform>Conversation: %Ln token</numerusform>
            <numerusform>Conversation: %Ln tokens</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The conversation is longer than the context window (n_ctx {n_ctx}): the %Ln oldest message(s) were left out of this reply; the system prompt was kept. Start a new chat to keep everything in view.</source>
        <translation>
            <numerusform>The conversation is longer than the context window (n_ctx {n_ctx}): the %Ln oldest message was left out of this reply; the system prompt was kept. Start a new chat to keep everything in view.</numerusform>
            <numerusform>The conversation is longer than the context window (n_ctx {n_ctx}): the %Ln oldest messages were left out of this reply; the system prompt was kept. Start a new chat to keep everything in view.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CuratedModel</name>
    <message numerus="yes">
        <source>{quant} (%n parts)</source>
        <translation>
            <numerusform>{quant} (%n parts)</numerusform>
            <numerusform>{quant} (%n parts)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{verdict} at n_ctx {n_ctx}: {ram} RAM, {gpu} GPU (%n layer(s))</source>
        <translation>
            <numerusform>{verdict} at n_ctx {n_ctx}: {ram} RAM, {gpu} GPU (%n layer)</numerusform>
            <numerusform>{verdict} at n_ctx {n_ctx}: {ram} RAM, {gpu} GPU (%n layers)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CuratedView</name>
    <message numerus="yes">
        <source>{shown} of %n quantization(s) shown</source>
        <translation>
            <numerusform>{shown} of %n quantization shown</numerusform>
            <numerusform>{shown} of %n quantizations shown</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>HubView</name>
    <message numerus="yes">
        <source>%n result(s), more when you scroll down</source>
        <translation>
            <numerusform>%n result, more when you scroll down</numerusform>
            <numerusform>%n results, more when you scroll down</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n result(s)</source>
        <translation>
            <numerusform>%n result</numerusform>
            <numerusform>%n results</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>JobsPane</name>
    <message numerus="yes">
        <source>%n running or queued</source>
        <translation>
            <numerusform>%n running or queued</numerusform>
            <numerusform>%n running or queued</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n finished</source>
        <translation>
            <numerusform>%n finished</numerusform>
            <numerusform>%n finished</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n failed</source>
        <translation>
            <numerusform>%n failed</numerusform>
            <numerusform>%n failed</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LibraryPane</name>
    <message numerus="yes">
        <source>{shown} of %Ln model(s) shown</source>
        <translation>
            <numerusform>{shown} of %Ln model shown</numerusform>
            <numerusform>{shown} of %Ln models shown</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln model(s)</source>
        <translation>
            <numerusform>%Ln model</numerusform>
            <numerusform>%Ln models</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n fit estimate(s)</source>
        <translation>
            <numerusform>%n fit estimate</numerusform>
            <numerusform>%n fit estimates</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n memory measurement(s)</source>
        <translation>
            <numerusform>%n memory measurement</numerusform>
            <numerusform>%n memory measurements</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n benchmark run(s), with the model&apos;s name and SHA-256</source>
        <translation>
            <numerusform>%n benchmark run, with the model&apos;s name and SHA-256</numerusform>
            <numerusform>%n benchmark runs, with the model&apos;s name and SHA-256</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n conversation(s)</source>
        <translation>
            <numerusform>%n conversation</numerusform>
            <numerusform>%n conversations</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Wrote %n file(s) into {folder}; its README.md says how to apply them.</source>
        <translation>
            <numerusform>Wrote %n file into {folder}; its README.md says how to apply them.</numerusform>
            <numerusform>Wrote %n files into {folder}; its README.md says how to apply them.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LineagePanel</name>
    <message numerus="yes">
        <source>&lt;b&gt;Variants made from it:&lt;/b&gt; %n</source>
        <translation>
            <numerusform>&lt;b&gt;Variants made from it:&lt;/b&gt; %n</numerusform>
            <numerusform>&lt;b&gt;Variants made from it:&lt;/b&gt; %n</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>%n job(s) are still running or queued. Quit and cancel them?</source>
        <translation>
            <numerusform>%n job is still running or queued. Quit and cancel it?</numerusform>
            <numerusform>%n jobs are still running or queued. Quit and cancel them?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>NetworkLogDialog</name>
    <message numerus="yes">
        <source>%n attempt(s) logged, {blocked} blocked.</source>
        <translation>
            <numerusform>%n attempt logged, {blocked} blocked.</numerusform>
            <numerusform>%n attempts logged, {blocked} blocked.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PreferencesBox</name>
    <message numerus="yes">
        <source>Automatic (%n physical core(s))</source>
        <translation>
            <numerusform>Automatic (%n physical core)</numerusform>
            <numerusform>Automatic (%n physical cores)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>QualityTableModel</name>
    <message numerus="yes">
        <source>n_ctx {n_ctx}, %n token(s) scored</source>
        <translation>
            <numerusform>n_ctx {n_ctx}, %n token scored</numerusform>
            <numerusform>n_ctx {n_ctx}, %n tokens scored</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>QuantizePane</name>
    <message numerus="yes">
        <source>Compared on %n token(s) at n_ctx {n_ctx}: perplexity {base_ppl} → {variant_ppl}, KLD {kld}, top-1 {top1}.</source>
        <translation>
            <numerusform>Compared on %n token at n_ctx {n_ctx}: perplexity {base_ppl} → {variant_ppl}, KLD {kld}, top-1 {top1}.</numerusform>
            <numerusform>Compared on %n tokens at n_ctx {n_ctx}: perplexity {base_ppl} → {variant_ppl}, KLD {kld}, top-1 {top1}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Exported %n variant(s) to {path}.</source>
        <translation>
            <numerusform>Exported %n variant to {path}.</numerusform>
            <numerusform>Exported %n variants to {path}.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RemotesBox</name>
    <message numerus="yes">
        <source>{server}, %n model(s): {names} ({ms} ms)</source>
        <translation>
            <numerusform>{server}, %n model: {names} ({ms} ms)</numerusform>
            <numerusform>{server}, %n models: {names} ({ms} ms)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{server}, %n model(s) ({ms} ms)</source>
        <translation>
            <numerusform>{server}, %n model ({ms} ms)</numerusform>
            <numerusform>{server}, %n models ({ms} ms)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RepoItemsModel</name>
    <message numerus="yes">
        <source>{kind}, %n parts</source>
        <translation>
            <numerusform>{kind}, %n parts</numerusform>
            <numerusform>{kind}, %n parts</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RepoView</name>
    <message numerus="yes">
        <source>%n item(s)</source>
        <translation>
            <numerusform>%n item</numerusform>
            <numerusform>%n items</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ServingBenchView</name>
    <message numerus="yes">
        <source>%n model(s) at {url}.</source>
        <translation>
            <numerusform>%n model at {url}.</numerusform>
            <numerusform>%n models at {url}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Finished %n level(s);</source>
        <translation>
            <numerusform>Finished %n level;</numerusform>
            <numerusform>Finished %n levels;</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n request(s) failed.</source>
        <translation>
            <numerusform>%n request failed.</numerusform>
            <numerusform>%n requests failed.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Exported %n run(s) to {path}.</source>
        <translation>
            <numerusform>Exported %n run to {path}.</numerusform>
            <numerusform>Exported %n runs to {path}.</numerusform>
        </translation>
    </message>
</context>
</TS>
