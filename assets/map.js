/* Style functions the map calls in the browser (dash-leaflet passes `context.hideout`), so a colour
   change needs no round trip. Referenced from Python as {"variable": "gis.<name>"}. */
window.gis = Object.assign({}, window.gis, {
    /* Index of the class a value falls in: breaks are class upper bounds, ascending. */
    classOf: function (value, breaks) {
        let i = 0;
        while (i < breaks.length - 1 && value > breaks[i]) { i++; }
        return i;
    },
    heatStyle: function (feature, context) {
        const h = context.hideout;
        const v = feature.properties[h.metric];
        const colour = h.colors[Math.min(window.gis.classOf(v, h.breaks), h.colors.length - 1)];
        return {fillColor: colour, fillOpacity: h.opacity || 0.72, weight: 0.4, color: h.edge || "#ffffff"};
    },
    changeStyle: function (feature, context) {
        const h = context.hideout;
        const v = feature.properties[h.metric];
        const colour = h.colors[Math.min(window.gis.classOf(v, h.breaks), h.colors.length - 1)];
        return {fillColor: colour, fillOpacity: 0.78, weight: 0.4, color: h.edge || "#ffffff"};
    },
    /* Roads and outlines are not interactive: on the shared canvas they would take the clicks meant for the
       hexagon under them. (dash-leaflet 1.1.3 does not pass GeoJSON's `interactive` prop on to the features;
       a style's options are merged into each feature's, so the style says it.) */
    outlineStyle: function (feature, context) {
        return Object.assign({interactive: false}, context.hideout.style);
    },
    roadStyle: function (feature, context) {
        return {color: context.hideout.color, weight: feature.properties.weight, opacity: 0.85, interactive: false};
    },
    placeMarker: function (feature, latlng, context) {
        const p = feature.properties;
        const glyph = (context && context.hideout && context.hideout.lang === "en") ? p.icon_en : p.icon_zh;
        const icon = L.divIcon({className: "place-icon", iconSize: [18, 18],
                                html: "<span style=\"background:" + p.color + "\">" + glyph + "</span>"});
        return L.marker(latlng, {icon: icon, title: feature.properties.name});
    },
    labelMarker: function (feature, latlng) {
        const p = feature.properties;
        const icon = L.divIcon({className: "zone-label zone-label-" + p.level, html: "<span>" + p.name + "</span>",
                                iconSize: null});
        return L.marker(latlng, {icon: icon, interactive: false, keyboard: false});
    },
    bindName: function (feature, layer) {
        if (feature.properties && feature.properties.name) {
            layer.bindTooltip(feature.properties.name, {sticky: true});
        }
    },
    bindCount: function (feature, layer, context) {
        const p = feature.properties;
        const h = context.hideout;
        let text = (h.label || "") + " " + p[h.metric];
        if (p.baseline !== undefined) { text += " (" + p.incidents + " / " + p.baseline + ")"; }
        layer.bindTooltip(text, {sticky: true});
    }
});
